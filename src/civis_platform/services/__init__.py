"""The domain: permissions, validation and persistence, with no HTTP anywhere."""
