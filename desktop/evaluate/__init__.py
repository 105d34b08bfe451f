"""Evaluating workflows on datasets from the app: the Evaluate dock, its dataset import and
eval-file form, live results, summaries and the cost-vs-score chart."""
