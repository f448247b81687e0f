"""ActionCards: index cards from delegations, turned into the rapporteurs' reports."""
