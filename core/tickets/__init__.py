"""Tickets: opening them, the workflow, staff changes, finding them, their questions, photos and exports."""
