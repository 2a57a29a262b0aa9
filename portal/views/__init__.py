"""HTML views of the enterprise portal. Thin: read through selectors, write through services,
show a DomainError's message, turn NotFound into 404."""
