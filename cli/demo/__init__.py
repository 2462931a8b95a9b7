"""Synthetic demo data: citizens, staff and tickets over Istanbul's districts,
bulk-loaded with PostgreSQL COPY (`flask --app wsgi demo-data`)."""
