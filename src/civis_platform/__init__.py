"""civis_platform: a self-hostable server for the Civis Data Science API."""
