"""Demo data: a finished participatory budget for Shkodër (filled in below)."""
