"""Work for the worker: the outbox written by the web app, its relay to RQ, and the task list."""
