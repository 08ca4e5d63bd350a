"""Services by life event: catalogue, applications, cases, deadlines (issue 3)."""
