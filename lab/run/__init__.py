"""Running a job: plan the cells, preview them, schedule them on hosts, execute, measure processes, show progress."""
