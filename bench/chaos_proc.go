package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// supervisor runs `airlock worker` child processes, kills them on demand and restarts them; a
// child that exits on its own is counted as unexpected and restarted too.
type supervisor struct {
	bin      string
	logDir   string
	progress func(string)

	mu        sync.Mutex
	procs     map[string]*child
	stopping  bool
	unexpectN int
}

type child struct {
	name     string
	env      []string
	cmd      *exec.Cmd
	done     chan struct{}
	expected bool // set before we kill it
}

// childEnv is the parent's environment without Airlock's own variables, plus env.
func childEnv(env []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AIRLOCK_") || k == "DATABASE_URL" || k == "REDIS_URL" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, env...)
}

// start launches a worker named name (its log goes to logDir/worker-NAME.log, appended).
func (s *supervisor) start(name string, env []string) error {
	logf, err := os.OpenFile(filepath.Join(s.logDir, "worker-"+name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "worker")
	cmd.Env = childEnv(env)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start worker %s: %w", name, err)
	}
	c := &child{name: name, env: env, cmd: cmd, done: make(chan struct{})}
	s.mu.Lock()
	if s.procs == nil {
		s.procs = map[string]*child{}
	}
	s.procs[name] = c
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		close(c.done)
		s.mu.Lock()
		unexpected := !c.expected && !s.stopping
		if unexpected {
			s.unexpectN++
		}
		s.mu.Unlock()
		if unexpected {
			s.progress(fmt.Sprintf("worker %s exited on its own (%v): restarting it", name, err))
			time.Sleep(time.Second)
			if err := s.start(name, env); err != nil {
				s.progress(err.Error())
			}
		}
	}()
	return nil
}

// names lists the workers, sorted.
func (s *supervisor) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.procs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// kill SIGKILLs one worker, waits for it to die, and restarts it when restart is true.
func (s *supervisor) kill(name string, restart bool) error {
	s.mu.Lock()
	c := s.procs[name]
	if c != nil {
		c.expected = true
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("no worker %s", name)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill worker %s: %w", name, err)
	}
	<-c.done
	if !restart {
		return nil
	}
	return s.start(name, c.env)
}

// killAll SIGKILLs every worker at once and waits for them to die (they stay dead until
// restartAll).
func (s *supervisor) killAll() error {
	s.mu.Lock()
	cs := make([]*child, 0, len(s.procs))
	for _, c := range s.procs {
		c.expected = true
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("kill worker %s: %w", c.name, err)
		}
	}
	for _, c := range cs {
		<-c.done
	}
	return nil
}

// restartAll starts every worker again (after killAll).
func (s *supervisor) restartAll() error {
	s.mu.Lock()
	cs := make([]*child, 0, len(s.procs))
	for _, c := range s.procs {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		if err := s.start(c.name, c.env); err != nil {
			return err
		}
	}
	return nil
}

// unexpected is the number of workers that exited without being killed.
func (s *supervisor) unexpected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unexpectN
}

// stopAll stops every worker: SIGTERM, then SIGKILL after 10 s.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	s.stopping = true
	cs := make([]*child, 0, len(s.procs))
	for _, c := range s.procs {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cs {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
}
