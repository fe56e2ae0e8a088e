# bash completion for mesos-launch and mesos-launch-cluster. Installed as
# share/bash-completion/completions/<command>, which bash-completion loads
# the first time the command is completed. The flags come from the
# program's own --help, so they cannot drift from it; values are completed
# for the flags that name files or directories, and mesos-launch's
# arguments are .yaml and .yml files.
_mesos_launch() {
  local cur prev words cword split
  _init_completion -s || return

  case $prev in
    --secret-file | --ca-file | --cluster-file | --credentials | --tls-cert | --tls-key)
      _filedir
      return
      ;;
    --state-dir | --work-dir | --launcher-dir)
      _filedir -d
      return
      ;;
    --output)
      COMPREPLY=($(compgen -W 'text json' -- "$cur"))
      return
      ;;
  esac
  # Any other flag that takes a value (shown as "--flag arg" in --help):
  # the value is the user's to type.
  if [[ $prev == --* ]] && ! $split &&
    "$1" --help 2>/dev/null | grep -qE -- "^ *(-[a-z], )?$prev arg\b"; then
    return
  fi
  $split && return

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W '$(_parse_help "$1")' -- "$cur"))
    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
    return
  fi
  if [[ ${1##*/} == mesos-launch ]]; then
    _filedir '@(yaml|yml)'
  fi
} &&
  complete -F _mesos_launch mesos-launch mesos-launch-cluster
