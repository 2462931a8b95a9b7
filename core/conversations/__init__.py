"""The chat conversation's data shared beyond the bot: drafts and their expiry."""
