"""What runs do, one module per job type. The job-type table (`runner.jobtypes`) names
each program by its ``module:function`` path; nothing registers itself on import."""
