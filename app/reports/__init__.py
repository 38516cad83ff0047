"""Daily and monthly reports (PDF and XLSX): content gathered through models/, rendered by
WeasyPrint, matplotlib and openpyxl, kept under ``config.report_dir``, made on a schedule
inside the server and on demand (CLI and API)."""
