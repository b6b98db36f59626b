"""The plumbing under every ``lingosum`` command: the strict command class that enforces
the repeated-option rule, the root options (``--version``, completion), and :func:`run_app`,
which turns usage errors, Ctrl-C and a closed pipe into one line and an exit code.

typer >= 0.2x raises the exceptions of the click copy it bundles (``typer._click``), older
typer raises click's own; both are handled here through the attributes click exceptions
share, so no exception class of either is named outside :func:`_usage_error_types`.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand

USAGE = 2
INTERRUPTED = 130
# Options that may be repeated, each time adding values: ``--to az --to ka`` is
# ``--to az,ka``. Any other single-value option given twice is a usage error.
ADDITIVE = {"to": ","}


class Interrupted(Exception):
    """Raised by a command on Ctrl-C to put its own hint on the one "interrupted" line."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(hint)
        self.hint = hint


class StrictCommand(TyperCommand):
    """A command where a repeated single-value option is an error, not last-one-wins."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not ctx.resilient_parsing:
            args = strict_args(self, ctx, list(args))
        return super().parse_args(ctx, args)


def make_strict(app: typer.Typer) -> None:
    """Make every command of ``app`` and of its sub-apps a :class:`StrictCommand`.

    Called once after all commands are registered, so the repeated-option rule holds for
    every command, including ones added later in their own modules, without each module
    having to remember it. A command that names its own class (other than typer's default,
    which typer fills in) keeps it.
    """
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = StrictCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            make_strict(group.typer_instance)


def strict_args(command: Any, ctx: Any, args: list[str]) -> list[str]:
    """Check ``args`` for repeated options (raising a usage error) and merge the repeats of
    :data:`ADDITIVE` options into one value.

    The command's own parser reads the arguments first, so "repeated" means exactly what
    click understood, whatever the spelling (``-o x``, ``--output=x``, ``--no-offline``).
    """
    _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    counts = Counter(
        param
        for param in order
        if getattr(param, "param_type_name", "") == "option"
        and not param.multiple
        and not getattr(param, "count", False)
        and not param.is_eager
    )
    for param, count in counts.items():
        if count < 2:
            continue
        if param.name in ADDITIVE:
            args = _merge_repeats(args, param, count)
        else:
            names = "/".join([*param.opts, *param.secondary_opts])
            ctx.fail(f"{names} was given {count} times; give it once")
    return args


def _merge_repeats(args: list[str], param: Any, count: int) -> list[str]:
    """``[--to, az, x, --to=ka]`` -> ``[--to, az,ka, x]`` (when the scan agrees with the
    parser about how many times the option appears; otherwise the arguments are left as
    they are and click's rule applies)."""
    names = set(param.opts)
    values: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        name, equals, value = token.partition("=")
        if token == "--":
            rest += args[index:]
            break
        if name in names and (equals or index + 1 < len(args)):
            values.append(value if equals else args[index + 1])
            index += 1 if equals else 2
            continue
        rest.append(token)
        index += 1
    if len(values) != count:
        return args
    return [param.opts[0], ADDITIVE[param.name].join(values), *rest]


def fail(message: str) -> NoReturn:
    """End a command with a usage error: one line, exit status 2."""
    typer.echo(f"lingosum: error: {message}", err=True)
    raise typer.Exit(USAGE)


def source_option(value: str | None) -> str | None:
    """``--from``: a language code lingosum knows or can detect (``english`` -> use ``en``)."""
    from lingosum.errors import LingosumError
    from lingosum.languages import check_source

    if value is None:
        return None
    try:
        return check_source(value)
    except LingosumError as error:
        raise typer.BadParameter(str(error)) from None


def length_option(value: str) -> str:
    """``--length``: one of the summary lengths the library defines, checked before any work."""
    from lingosum.summarize.engine import LENGTHS

    if value not in LENGTHS:
        raise typer.BadParameter(f"unknown length {value!r}; choose from {', '.join(LENGTHS)}")
    return value


def _print_version(value: bool) -> None:
    if value:
        from importlib import metadata

        typer.echo(f"lingosum {metadata.version('lingosum')}")
        raise typer.Exit(0)


VersionOpt = Annotated[
    bool,
    typer.Option(
        "--version",
        help="Print lingosum's version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
]


def root(version: VersionOpt = False) -> None:
    """Detect, summarize and translate text into Azerbaijani, Georgian or Russian."""


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """The exception classes typer's parser raises for usage errors, whatever its version."""
    found: list[type[BaseException]] = []
    typer_error = getattr(typer, "TyperException", None)  # typer >= 0.2x (bundled click)
    if isinstance(typer_error, type):
        found.append(typer_error)
    try:
        import click
    except ImportError:  # typer >= 0.2x does not need click itself
        pass
    else:
        found.append(click.ClickException)
    return tuple(found)


def _exit_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [typer.Exit]
    try:
        import click
    except ImportError:
        pass
    else:
        found.append(click.exceptions.Exit)
    return tuple(found)


def _abort_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [typer.Abort, KeyboardInterrupt]
    try:
        import click
    except ImportError:
        pass
    else:
        found.append(click.exceptions.Abort)
    return tuple(found)


def usage_line(error: Any) -> str:
    """One line for a click usage error: the message and where to read more."""
    message = str(error.format_message()).strip().rstrip(".")
    message = " ".join(message.split())
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    ctx = getattr(error, "ctx", None)
    path = getattr(ctx, "command_path", "") if ctx is not None else ""
    hint = f" (see '{path} --help')" if path else ""
    return f"lingosum: error: {message}{hint}"


def show_usage_error(error: Any) -> int:
    """Print a usage error: help for a bare group (exit 2, as click does), else one line."""
    exit_code = int(getattr(error, "exit_code", USAGE))
    if any(kind.__name__ == "NoArgsIsHelpError" for kind in type(error).__mro__):
        typer.echo(error.format_message(), err=True)
        return exit_code
    typer.echo(usage_line(error), err=True)
    return exit_code


def caused_by_interrupt(error: BaseException) -> bool:
    """True when Ctrl-C is what ``error`` comes from: some libraries catch everything and
    raise their own error instead (langdetect, while loading its profiles, reports a
    "profile format error" for a KeyboardInterrupt)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _stdout_error(error: OSError | UnicodeEncodeError) -> int:
    """One line for output that cannot be printed; other errors are bugs and propagate."""
    if isinstance(error, UnicodeEncodeError):
        encoding = getattr(sys.stdout, "encoding", None) or error.encoding
        message = (
            f"standard output ({encoding}) cannot encode the text; set "
            "PYTHONIOENCODING=utf-8, or write to a file with -o"
        )
    elif _is_stream_write_error(error) or _stdout_broken():
        message = f"cannot write to standard output: {error.strerror or error}"
    else:
        raise error
    _silence_stdout()
    typer.echo(f"lingosum: error: {message}", err=True)
    return 1


def _is_stream_write_error(error: OSError) -> bool:
    """A write error with no file name: the library turns its own file errors into
    LingosumErrors, so a bare one like this comes from printing (click writes through)."""
    import errno

    lost = {errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}
    return error.filename is None and error.errno in lost


def _stdout_broken() -> bool:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def _flush_stdout(code: int) -> int:
    """Flush stdout now, so that a full disk or a closed pipe is reported in one line
    instead of a traceback at interpreter exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except (OSError, ValueError) as error:
        _silence_stdout()
        reason = getattr(error, "strerror", None) or error
        typer.echo(f"lingosum: error: cannot write to standard output: {reason}", err=True)
        return code or 1
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's own flush at exit cannot fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        return


def run_app(app: Callable[..., Any], args: Sequence[str] | None = None) -> int:
    """Run the click app in non-standalone mode and return the exit status.

    Usage errors print one line (exit 2); Ctrl-C prints one "interrupted" line (130);
    :class:`Interrupted` adds the command's hint to that line.
    """
    hint = ""
    try:
        code = app(args=args, prog_name="lingosum", standalone_mode=False)
    except _exit_types() as done:
        code = done.exit_code  # type: ignore[attr-defined]
    except _usage_error_types() as error:
        code = show_usage_error(error)
    except Interrupted as stop:
        code, hint = INTERRUPTED, stop.hint
    except _abort_types():
        code = INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        code = 141
    except (OSError, UnicodeEncodeError) as error:
        code = _stdout_error(error)
    except Exception as error:
        if not caused_by_interrupt(error):
            raise
        code = INTERRUPTED
    code = code if isinstance(code, int) else 0
    if code not in (INTERRUPTED, 141):
        code = _flush_stdout(code)
    if code == INTERRUPTED:  # typer turns Ctrl-C into a silent exit status 130
        typer.echo(f"lingosum: interrupted{'; ' + hint if hint else ''}", err=True)
    return code
