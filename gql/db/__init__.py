"""Storage: Tortoise models, connection config and native migrations."""
