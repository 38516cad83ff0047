"""The administration page (/admin, 系统管理): one tab per thing an administrator runs."""
