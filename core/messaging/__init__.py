"""Messages to citizens and staff: the outbox, what they say, how they go out (gateway, rate, WhatsApp window)."""
