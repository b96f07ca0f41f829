"""The weekly report: last week's figures and chart, to coordinators and managers."""
