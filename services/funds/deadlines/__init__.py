"""Decision deadlines: the periodic job that announces overdue applications."""
