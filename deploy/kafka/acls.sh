#!/bin/sh
# acls.sh: the Kafka ACLs of securitybot's principals, least privilege per
# worker; the one table the local stack, docker-compose and Kubernetes use.
#
# Usage:
#   acls.sh table                         the table: PRINCIPAL OPERATION topic|group NAME,
#                                         with the topic prefix and group names filled in
#   acls.sh spec                          the same for deploy/local/kafka/Principals.java
#   acls.sh apply BOOTSTRAP ADMIN_CONFIG  adds them with Kafka's kafka-acls.sh
#                                         (KAFKA_ACLS, default /opt/kafka/bin/kafka-acls.sh,
#                                         the apache/kafka image's) as the admin whose
#                                         client properties ADMIN_CONFIG holds; idempotent
#
# Names come from the workers' own variables: SECURITYBOT_TOPIC_PREFIX
# (default securitybot.) and SECURITYBOT_<STAGE>_GROUP (default
# securitybot-<stage>). The table follows what each worker consumes and
# produces (the spec in workers/<stage>/main.c); docs/security.md shows it.
# An idempotent producer needs no IdempotentWrite on Kafka >= 3.0 (KIP-679:
# Write on a topic suffices); a static member (SECURITYBOT_INSTANCE_ID)
# needs nothing beyond Read on its group. POSIX sh: it runs in the
# apache/kafka image as well as on the host.
set -eu

P=${SECURITYBOT_TOPIC_PREFIX-securitybot.}

# group STAGE: the consumer group of a stage, as the worker names it
group() {
	case $1 in
	ingest) echo "${SECURITYBOT_INGEST_GROUP:-securitybot-ingest}" ;;
	prompt) echo "${SECURITYBOT_PROMPT_GROUP:-securitybot-prompt}" ;;
	response) echo "${SECURITYBOT_RESPONSE_GROUP:-securitybot-response}" ;;
	escalation) echo "${SECURITYBOT_ESCALATION_GROUP:-securitybot-escalation}" ;;
	esac
}

# PRINCIPAL OPERATION topic|group NAME (topic: the suffix; group: the stage)
rules() {
	cat <<-'EOF'
		sb-ingest     Read     topic alerts
		sb-ingest     Read     group ingest
		sb-ingest     Write    topic prompts
		sb-ingest     Write    topic escalation-requests
		sb-ingest     Write    topic outcomes
		sb-ingest     Write    topic alerts.dlq
		sb-prompt     Read     topic prompts
		sb-prompt     Read     group prompt
		sb-prompt     Write    topic escalation-requests
		sb-response   Read     topic responses
		sb-response   Read     group response
		sb-response   Write    topic escalation-requests
		sb-response   Write    topic outcomes
		sb-response   Write    topic prompts
		sb-response   Write    topic alerts
		sb-escalation Read     topic escalation-requests
		sb-escalation Read     group escalation
		sb-escalation Write    topic escalations
		sb-escalation Write    topic outcomes
		sb-escalation Write    topic escalation-requests
		sb-gateway    Write    topic responses
		sb-gateway    Write    topic alerts
		sb-gateway    Write    topic alerts.dlq
		sb-console    Write    topic resolutions
		sb-console    Write    topic alerts
		detector      Write    topic alerts
		sbctl         Write    topic alerts
	EOF
	# sbctl topics creates every topic: Create (and Describe) on each one,
	# no cluster-wide right. Not responses: `sbctl respond` (demos on the
	# console platform) must run as sb-gateway.
	for t in alerts alerts.dlq prompts responses escalation-requests escalations outcomes resolutions; do
		echo "sbctl Create topic $t"
		echo "sbctl Describe topic $t"
	done
}

table() {
	rules | while read -r who op type name; do
		if [ "$type" = group ]; then name=$(group "$name"); else name=$P$name; fi
		echo "$who $op $type $name"
	done
}

case ${1:-} in
table) table ;;
spec) table | while read -r who op type name; do echo "allow $who $type $name $op"; done ;;
apply)
	[ $# -eq 3 ] || { echo "usage: acls.sh apply BOOTSTRAP ADMIN_CONFIG" >&2; exit 2; }
	acls=${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh}
	# one kafka-acls.sh run per principal and operation (a JVM each)
	table | awk '{k = $1 " " $2; a[k] = a[k] " --" $3 " " $4} END {for (k in a) print k a[k]}' |
		while read -r who op resources; do
			echo "acls.sh: User:$who $op$(echo " $resources" | sed 's/ --[a-z]*//g')"
			# shellcheck disable=SC2086 # resources: --topic NAME --group NAME ...
			"$acls" --bootstrap-server "$2" --command-config "$3" --add \
				--allow-principal "User:$who" --operation "$op" $resources >/dev/null
		done
	echo "acls.sh: done"
	;;
*)
	sed -n '2,21s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
