"""rota."""
