"""Telling the world outside that Clarion is running: the heartbeat (:mod:`.heartbeat`, pinged
after every run that finished) and the health check for monitoring systems (:mod:`.check`, a pure
verdict over what the ledger says; :mod:`.facts` reads those facts from the ledger)."""
