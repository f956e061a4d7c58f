#!/bin/sh
# Starts the operator (or any subcommand, such as diagnose) with the operator's own logging setup:
# jars on the classpath carry log4j configurations of their own.
exec java -Dlog4j2.configurationFile=classpath:backpressure-log4j2.properties \
  -jar /opt/operator/operator.jar "$@"
