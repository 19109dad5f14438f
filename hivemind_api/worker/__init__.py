"""RQ workers: the process that runs jobs, and the supervisor the app uses in the embedded default."""
