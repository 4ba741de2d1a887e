"""News fetched from outside (yfinance), stored through the same record path as files."""
