"""Webhooks: org endpoints that receive signed event notifications.

``endpoints`` manages them, ``targets`` refuses private/loopback destinations, ``signing``
computes the signature headers, ``delivery`` runs the RQ jobs that dispatch and deliver.
"""
