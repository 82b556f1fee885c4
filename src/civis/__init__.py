"""civis: a fast, typed client for the Civis Data Science API."""
