"""The account lifecycle: inactive and ended accounts flagged, closures carried out."""
