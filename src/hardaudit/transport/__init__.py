"""Transports run the one facts script on a host: ssh (with jump chains), local, replay."""
