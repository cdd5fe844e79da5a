#!/bin/sh
# Starts Asterisk for the hotline. Asterisk's configuration files cannot read environment
# variables, so the credentials are written here, at every start, into /run/hotline (a tmpfs
# of the container, never in the image or the mounted configuration), where ari.conf and
# manager.conf #tryinclude them. Then Asterisk runs in the foreground as user asterisk.
#
#   ARI_USER, ARI_PASSWORD   the engine's ARI account (both required)
#   AMI_USER, AMI_SECRET     an AMI account for supervision tools (optional)
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

chown -R root:asterisk "$secrets"
chmod 0750 "$secrets"
chmod 0640 "$secrets"/*.conf

# -f foreground (docker supervises), -U/-G drop root, -vvv log the call flow to the console.
exec asterisk -f -U asterisk -G asterisk -vvv "$@"
