"""The directory: clients, their authorized contacts, staff and the on-call order."""
