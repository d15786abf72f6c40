"""Business time: schedules, holidays, closures, the SLA clock and who is on duty. Plain Python."""
