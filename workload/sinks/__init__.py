"""Where lifecycle events go: the run directory always, Graphite and Logstash on request."""
