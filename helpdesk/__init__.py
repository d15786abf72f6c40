"""The helpdesk: tickets, notifications and the bridges from the database to business time."""
