package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge/scheduler"
	"github.com/contactbridge/contactbridge/cmd/contactbridge/internal/web"
)

// shutdownTimeout bounds how long `run` waits on SIGTERM for the syncs in
// hand to finish their batch and commit before it cancels them.
const shutdownTimeout = 25 * time.Second

func newRunCommand(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Sync every account on its schedule, as a service",
		Long: `run keeps every account of the config in sync with the hub on its schedule
(the account's "schedule", else the top-level one, else every 15 minutes),
and serves a status page, Prometheus metrics and a small API on http.listen
(default 127.0.0.1:8737).

Every account syncs once at start. When a run brings a change into the hub,
the other accounts follow within 30 seconds, so one edit reaches every
endpoint within one cycle. An account whose runs fail backs off
exponentially (up to an hour) and recovers by itself.

Signals: SIGHUP reloads the config (a config that does not load keeps the
running one, and the status page says why); SIGTERM or SIGINT stop
scheduling, let running syncs finish the batch in hand and commit, and exit
within about 30 seconds. Only one run or sync may use a store at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runService(cmd.Context(), cmd.ErrOrStderr(), opts)
		},
	}
}

// newServiceLogger is the logger cfg asks for, writing to w.
func newServiceLogger(w io.Writer, cfg *Config) *slog.Logger {
	ho := &slog.HandlerOptions{Level: cfg.logLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

func runService(ctx context.Context, errOut io.Writer, o *options) error {
	path, _, err := configPath(o.configPath)
	if err != nil {
		return cannot(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return cannot(err)
	}
	log := newServiceLogger(errOut, cfg)
	lock, err := acquireLock(cfg)
	if err != nil {
		return cannot(err)
	}
	defer lock.Release()

	// SIGHUP is caught before anything can take long, so that an early
	// reload does not kill the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	svc, err := newService(ctx, cfg, log, scheduler.Options{})
	if err != nil {
		return cannot(err)
	}
	var srv *http.Server
	if addr := cfg.listen(); addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			_ = svc.Stop(context.Background())
			return cannot(fmt.Errorf("http.listen %s: %w", addr, err))
		}
		if !isLoopback(l.Addr()) {
			log.Warn("the status page and API listen beyond this machine; put them behind authentication", "addr", l.Addr().String())
		}
		srv = &http.Server{Handler: web.Handler(svc, svc.reg, log), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server", "err", err)
			}
		}()
		log.Info("serving", "addr", "http://"+l.Addr().String()+"/")
	}
	svc.Start(context.WithoutCancel(ctx))
	log.Info("contactbridge run started", "version", versionString(), "accounts", len(cfg.Accounts), "config", path)

	for done := false; !done; {
		select {
		case <-hup:
			if err := svc.Reload(path); err != nil {
				log.Error("reload failed", "err", err)
			} else {
				log.Info("config reloaded", "accounts", len(svc.config().Accounts))
			}
		case <-ctx.Done():
			done = true
		}
	}
	log.Info("stopping: letting running syncs finish", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	stopErr := svc.Stop(sctx)
	if srv != nil {
		hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(hctx)
		hcancel()
	}
	if stopErr != nil {
		log.Warn("stopped with syncs cancelled; the next run finishes their work", "err", stopErr)
		return cannot(stopErr)
	}
	log.Info("stopped")
	return nil
}

// isLoopback reports whether addr is a loopback address.
func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
