#!/bin/sh
# Starts Asterisk for the hotline. Asterisk's configuration files cannot read environment
# variables, so the credentials are written here, at every start, into /run/hotline (a tmpfs
# of the container, never in the image or the mounted configuration), where ari.conf and
# manager.conf #tryinclude them. Then Asterisk runs in the foreground as user asterisk.
#
#   ARI_USER, ARI_PASSWORD   the engine's ARI account (both required)
#   AMI_USER, AMI_SECRET     an AMI account for supervision tools (optional)
#
# Several Asterisk nodes behind the SIP edge (README.md, "Several nodes behind the SIP edge"),
# one image for every node:
#   NODE_NAME              this node's name (a lower-case letter, then up to 15 lower-case
#                          letters or digits): asterisk.conf's systemname, so channel ids read
#                          <name>-<epoch>.<seq>. Unset: one node, ids <epoch>.<seq> as always.
#   NODE_SIP_ADDRESS       the IPv4 address SIP (UDP and TCP, port 5060) binds to instead of all
#                          addresses: several nodes (and the edge) on one host.
#   NODE_CONTROL_ADDRESS   the IPv4 address ARI (port 8088) and AMI (port 5038) bind to instead
#                          of 127.0.0.1: several nodes on one host (127.0.0.21, 127.0.0.22…), or
#                          a private address the engines of other hosts reach (firewall it).
set -eu

secrets=/run/hotline
mkdir -p "$secrets" /var/spool/hotline/fallback
chown asterisk:asterisk /var/spool/hotline/fallback
umask 027

# A name is a config section header: letters, digits, "-", "_" only.
check_name() {
  case "$2" in
    '' | *[!A-Za-z0-9_-]*) echo "hotline-asterisk: $1 must be letters, digits, '-' or '_'" >&2; exit 64 ;;
  esac
}
# A secret is a config value: one line, ";" would start a comment, so it is escaped.
config_value() {
  case "$2" in
    '') echo "hotline-asterisk: $1 is empty" >&2; exit 64 ;;
    *'
'*) echo "hotline-asterisk: $1 must be one line" >&2; exit 64 ;;
  esac
  printf '%s' "$2" | sed 's/;/\\;/g'
}

: "${ARI_USER:?ARI_USER is required (the engine connects with it)}"
: "${ARI_PASSWORD:?ARI_PASSWORD is required}"
check_name ARI_USER "$ARI_USER"
{
  printf '[%s]\ntype = user\nread_only = no\npassword_format = plain\npassword = ' "$ARI_USER"
  config_value ARI_PASSWORD "$ARI_PASSWORD"
  printf '\n'
} > "$secrets/ari-users.conf"

if [ -n "${AMI_SECRET:-}" ]; then
  ami_user="${AMI_USER:-hotline}"
  check_name AMI_USER "$ami_user"
  {
    printf '[%s]\nsecret = ' "$ami_user"
    config_value AMI_SECRET "$AMI_SECRET"
    printf '\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n'
    # command: `core show taskprocessors`, read by admission control to shed before Asterisk's own
    # queues overflow (src/telephony/ami/taskprocessors.ts). The account is loopback only.
    printf 'read = system,call,agent,user,dtmf,reporting,cdr\nwrite = system,call,agent,user,reporting,originate,command\n'
  } > "$secrets/manager-users.conf"
else
  rm -f "$secrets/manager-users.conf"
fi

# --- this node ----------------------------------------------------------------------------
check_ipv4() {
  case "$2" in
    '' | *[!0-9.]* | *..* | .* | *.) echo "hotline-asterisk: $1 must be an IPv4 address, not \"$2\"" >&2; exit 64 ;;
  esac
  if [ "$(printf '%s' "$2" | tr -cd . | wc -c)" -ne 3 ]; then
    echo "hotline-asterisk: $1 must be an IPv4 address, not \"$2\"" >&2
    exit 64
  fi
}

# asterisk.conf is read once, at start: Asterisk runs with a copy whose commented
# ";systemname = …" line names this node.
asterisk_conf=/etc/asterisk/asterisk.conf
if [ -n "${NODE_NAME:-}" ]; then
  if ! printf '%s' "$NODE_NAME" | grep -Eqx '[a-z][a-z0-9]{0,15}'; then
    echo "hotline-asterisk: NODE_NAME must be a lower-case letter, then up to 15 lower-case letters or digits, not \"$NODE_NAME\"" >&2
    exit 64
  fi
  sed "s/^;systemname = .*\$/systemname = $NODE_NAME/" /etc/asterisk/asterisk.conf > "$secrets/asterisk.conf"
  if ! grep -qx "systemname = $NODE_NAME" "$secrets/asterisk.conf"; then
    echo "hotline-asterisk: asterisk.conf has no ';systemname = ' line to set NODE_NAME in" >&2
    exit 78
  fi
  asterisk_conf="$secrets/asterisk.conf"
fi

# pjsip.conf, http.conf and manager.conf #tryinclude these at their end: (+) adds to the
# sections above, and the later bind/bindaddr wins.
rm -f "$secrets/node-pjsip.conf" "$secrets/node-http.conf" "$secrets/node-manager.conf"
if [ -n "${NODE_SIP_ADDRESS:-}" ]; then
  check_ipv4 NODE_SIP_ADDRESS "$NODE_SIP_ADDRESS"
  printf '[transport-udp](+)\nbind = %s:5060\n\n[transport-tcp](+)\nbind = %s:5060\n' \
    "$NODE_SIP_ADDRESS" "$NODE_SIP_ADDRESS" > "$secrets/node-pjsip.conf"
fi
if [ -n "${NODE_CONTROL_ADDRESS:-}" ]; then
  check_ipv4 NODE_CONTROL_ADDRESS "$NODE_CONTROL_ADDRESS"
  printf '[general](+)\nbindaddr = %s\n' "$NODE_CONTROL_ADDRESS" > "$secrets/node-http.conf"
  printf '[general](+)\nbindaddr = %s\n' "$NODE_CONTROL_ADDRESS" > "$secrets/node-manager.conf"
fi

chown -R root:asterisk "$secrets"
chmod 0750 "$secrets"
chmod 0640 "$secrets"/*.conf

# -f foreground (docker supervises), -U/-G drop root, -vvv log the call flow to the console.
# -C: the node's copy of asterisk.conf (same directories, so `asterisk -rx` finds the console).
exec asterisk -f -U asterisk -G asterisk -vvv -C "$asterisk_conf" "$@"
