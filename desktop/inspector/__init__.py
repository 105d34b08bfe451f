"""The inspector dock: the selected node's title, config and policy as generated forms."""
