"""Participation: proposals, consultations and participatory budgets with fair, recountable results."""
