// Command webhook-ops runs a webhook-ingest stack's pipeline on this
// machine, signs test webhooks, checks a deployed stack, and recovers one
// without writing code:
//
//	webhook-ops serve [-stack S] [-addr HOST:PORT] [-s3-addr HOST:PORT] [-data DIR] [-json]
//	webhook-ops send (-preset NAME [-custom JSON] -url URL | -source NAME [-stack S] [-url URL]) [-secret-env VAR | -secret-file F | -secret-stdin] [-body FILE|-] [-id ID] [-topic T]
//	webhook-ops check [-stack S] [-api URL -bucket B] [-source NAME]... [-timeout D]
//	webhook-ops redrive -dlq <queue URL or ARN> [-destination <queue URL or ARN>] [-rate N] [-wait]
//	webhook-ops replay -bucket B -source S -from T1 [-to T2] -bus NAME [-dry-run]
//	webhook-ops quarantine ls (-bucket B | -stack S) [-source S] [-reason R] [-from T1] [-to T2]
//	webhook-ops reverify -source S (-bucket B -parameter P | -stack S) [-origin O] [-preset NAME] [-reason R] [-from T1] [-to T2] [-bus NAME] [-dry-run]
//
// serve runs the stack's pipeline locally (docs/local.md): its routes as the
// API Gateway edge maps them, a persistent queue with SQS's redelivery and
// dead-letter semantics, the handler's own processing, and an S3 endpoint
// whose objects are files in the data directory. send signs a body as a
// preset's sender does and posts it. check sends one signed and one wrongly
// signed webhook per source to a stack, deployed or served, and reports
// whether the first was stored and the second was not.
//
// redrive moves the dead-letter queue's messages back to the queue they came
// from (SQS StartMessageMoveTask) and, with -wait, reports progress until the
// move ends. replay publishes the hand-off events of the webhooks one source
// received in [from, to) again, without storing anything. quarantine ls
// lists the records the handler kept aside, by source, reason and time.
// reverify runs quarantined records through the handler's own verification
// again with the source's current secrets, stores those that now verify at
// their normal key (and hands them off), and removes them from the
// quarantine.
//
// AWS access comes from the standard SDK configuration (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL_SQS and so on). Exit status: 0 done, 1 the
// operation failed in part or in full, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usageText = `usage:
  webhook-ops serve [-stack S] [-addr HOST:PORT] [-s3-addr HOST:PORT] [-data DIR] [-json]
  webhook-ops send (-preset NAME [-custom JSON] -url URL | -source NAME [-stack S] [-url URL])
                   [-secret-env VAR | -secret-file F | -secret-stdin] [-body FILE|-] [-id ID] [-topic T]
  webhook-ops check [-stack S] [-api URL -bucket B] [-source NAME]... [-timeout D]
  webhook-ops redrive -dlq <queue URL or ARN> [-destination <queue URL or ARN>] [-rate N] [-wait]
  webhook-ops replay -bucket B -source S -from T1 [-to T2] -bus NAME [-dry-run]
  webhook-ops quarantine ls (-bucket B | -stack S) [-source S] [-reason R] [-from T1] [-to T2]
  webhook-ops reverify -source S (-bucket B -parameter P | -stack S) [-origin O] [-preset NAME]
                       [-reason R] [-from T1] [-to T2] [-bus NAME] [-dry-run]

Run "webhook-ops <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "send":
		return send(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return check(ctx, args[1:], stdout, stderr)
	case "redrive":
		return redrive(ctx, args[1:], stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], stdout, stderr)
	case "quarantine":
		return quarantineCmd(ctx, args[1:], stdout, stderr)
	case "reverify":
		return reverify(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "webhook-ops: unknown command %q\n%s", args[0], usageText)
		return exitUsage
	}
}

// parseFlags parses a command's flags and reports the exit status to return
// when parsing did not succeed (0 after -h).
func parseFlags(fs *flag.FlagSet, args []string) (ok bool, code int) {
	err := fs.Parse(args)
	switch {
	case err == nil && fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false, exitUsage
	case err == nil:
		return true, exitOK
	case errors.Is(err, flag.ErrHelp):
		return false, exitOK
	default:
		return false, exitUsage
	}
}

// usageError prints a usage problem of one command and returns exitUsage.
func usageError(stderr io.Writer, cmd, format string, a ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", cmd, fmt.Sprintf(format, a...))
	return exitUsage
}
