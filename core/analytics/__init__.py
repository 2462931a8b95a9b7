"""Numbers for managers: KPIs, per-team and per-category measures, trends, map cells,
hotspots. Every query takes a `Scope` (period in city days + category/team/channel)."""
