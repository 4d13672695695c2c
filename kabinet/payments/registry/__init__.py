"""Bank payment registries: ``formats`` reads the forms banks send, ``crediting`` credits what
was read, ``uploads`` keeps an uploaded file and queues its crediting."""
