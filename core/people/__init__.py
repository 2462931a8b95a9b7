"""People and access: users, phone numbers, sign-in codes and tokens, API keys, permissions."""
