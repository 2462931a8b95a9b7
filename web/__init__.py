"""The HTTP floor every blueprint shares: the error envelope, the request's database session,
the rate limiter, JSON body checks; and the ops, docs, media and development-sink endpoints."""
