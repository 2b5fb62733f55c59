"""Reading results: statistics, comparisons, verdicts, history and summaries of stored runs."""
