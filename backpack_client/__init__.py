"""Using this connector from Hummingbot's own client: the template/script installer (``make templates``) and a
launcher for the interactive client (``make client``)."""
