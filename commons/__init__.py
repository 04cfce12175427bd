"""The ground floor and the wiring. The Celery app is loaded by CommonsConfig.ready() (and found by
`celery -A commons` as `commons.celery`), not here, so `commons.transcripts` imports with no Django."""
