"""The web doors that are neither the phone line nor the console: the health check, the inbound
mail hook and the SMS webhook."""
