package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// SeedSpec is the content a scenario puts in one emulated Jira before Airlock runs.
type SeedSpec struct {
	Issues      int
	Comments    int // per issue
	Attachments int // in total, on the first issues
	Prefix      string
	Parallel    int
	// Subtasks and Worklogs are per issue (the sub-tasks have none of their own); Links links
	// each issue with the one seeded before it ("blocks").
	Subtasks, Worklogs int
	Links              bool
}

// Seeded is what a seed made, in creation order.
type Seeded struct {
	Keys            []string
	CommentBytes    int64
	AttachmentBytes int64
}

// Seed creates issues (with comments and attachments of realistic sizes) as alice, through the
// REST API, many at once. Run it before Throttle so the latency does not slow it down.
func (w *World) Seed(ctx context.Context, inst string, s SeedSpec) (*Seeded, error) {
	c, err := w.Human(inst)
	if err != nil {
		return nil, err
	}
	if s.Parallel <= 0 {
		s.Parallel = 16
	}
	project := jirasim.DefaultProjectKey(inst)
	out := &Seeded{Keys: make([]string, s.Issues)}
	var mu sync.Mutex
	g := newGroup(ctx, s.Parallel)
	gctx := g.ctx
	for n := range s.Issues {
		g.Go(func() error {
			rnd := rand.New(rand.NewPCG(uint64(n), 7))
			ci, err := c.CreateIssue(gctx, jira.IssueInput{Fields: map[string]any{
				"project": map[string]string{"key": project}, "issuetype": map[string]string{"name": "Task"},
				"summary":     fmt.Sprintf("%s %d: %s", s.Prefix, n, words(rnd, 6)),
				"description": words(rnd, 40+rnd.IntN(200)),
				"labels":      []string{"bench", fmt.Sprintf("batch-%d", n%10)},
			}})
			if err != nil {
				return fmt.Errorf("seed issue %d on %s: %w", n, inst, err)
			}
			out.Keys[n] = ci.Key
			var cb, ab int64
			for k := range s.Comments {
				body := fmt.Sprintf("Comment %d on %s.\n\n%s", k, ci.Key, text(rnd, 200+int(rnd.ExpFloat64()*900)))
				if _, err := c.AddComment(gctx, ci.Key, jira.CommentInput{Body: body}); err != nil {
					return fmt.Errorf("seed comment on %s: %w", ci.Key, err)
				}
				cb += int64(len(body))
			}
			if n < s.Attachments {
				size := 10<<10 + rnd.IntN(290<<10)
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(rnd.Uint32())
				}
				if _, err := c.UploadAttachment(gctx, ci.Key, fmt.Sprintf("capture-%d.bin", n), bytes.NewReader(data)); err != nil {
					return fmt.Errorf("seed attachment on %s: %w", ci.Key, err)
				}
				ab += int64(size)
			}
			for k := range s.Subtasks {
				if _, err := c.CreateIssue(gctx, jira.IssueInput{Fields: map[string]any{
					"project": map[string]string{"key": project}, "issuetype": map[string]string{"name": "Sub-task"},
					"parent": map[string]string{"key": ci.Key}, "summary": fmt.Sprintf("%s %d.%d: %s", s.Prefix, n, k, words(rnd, 5)),
				}}); err != nil {
					return fmt.Errorf("seed sub-task of %s: %w", ci.Key, err)
				}
			}
			for k := range s.Worklogs {
				started := jira.Time{Time: time.Date(2026, 11, 1+k, 9, rnd.IntN(60), 0, 0, time.UTC)}
				if _, err := c.AddWorklog(gctx, ci.Key, jira.WorklogInput{Comment: fmt.Sprintf("work %d on %s: %s", k, ci.Key, words(rnd, 8)),
					Started: &started, TimeSpentSeconds: int64(60 * (15 + rnd.IntN(240)))}, jira.Estimate{}); err != nil {
					return fmt.Errorf("seed worklog on %s: %w", ci.Key, err)
				}
			}
			mu.Lock()
			out.CommentBytes += cb
			out.AttachmentBytes += ab
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if s.Links {
		g := newGroup(ctx, s.Parallel)
		for n := 1; n < len(out.Keys); n++ {
			g.Go(func() error {
				// Jira reads inwardIssue as the source: Keys[n] blocks Keys[n-1].
				err := c.CreateIssueLink(g.ctx, jira.IssueLinkInput{Type: jira.IssueLinkType{Name: "Blocks"},
					InwardIssue: jira.IssueRefInput{Key: out.Keys[n]}, OutwardIssue: jira.IssueRefInput{Key: out.Keys[n-1]}})
				if err != nil {
					return fmt.Errorf("seed link %s blocks %s: %w", out.Keys[n], out.Keys[n-1], err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var vocabulary = strings.Fields(`the relay issue sync poll field comment customer release build server
	firewall ticket deploy error timeout network config backlog sprint review merge branch test
	database index queue worker console export import version patch cluster node memory disk`)

func words(rnd *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = vocabulary[rnd.IntN(len(vocabulary))]
	}
	return strings.Join(ws, " ")
}

// text returns about n bytes of wiki-markup-ish prose.
func text(rnd *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		switch rnd.IntN(12) {
		case 0:
			b.WriteString("\n* ")
		case 1:
			b.WriteString(" *" + vocabulary[rnd.IntN(len(vocabulary))] + "*")
		case 2:
			b.WriteString(".\n")
		}
		b.WriteString(" " + vocabulary[rnd.IntN(len(vocabulary))])
	}
	return b.String()
}

// linked counts a connection's twins that are active with both issues.
func linked(ctx context.Context, db *models.DB, connID uint) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.Twin{}).Where("connection_id = ? AND state = ? AND local_issue_id IS NOT NULL AND remote_issue_id IS NOT NULL",
		connID, models.TwinActive).Count(&n).Error
	return n, err
}

// dirty counts twins still waiting for a reconcile, over every connection of a node.
func dirty(ctx context.Context, db *models.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.Twin{}).Where("dirty = ? AND state IN ?", true,
		[]string{models.TwinActive, models.TwinPendingCreate}).Count(&n).Error
	return n, err
}

// waitUntil polls cond every step until it holds, ctx ends or the timeout passes.
func waitUntil(ctx context.Context, timeout, step time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not reached after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
	}
}

// group runs functions with at most limit at once and keeps the first error (errgroup's shape,
// without the dependency).
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context, limit int) *group {
	ctx, cancel := context.WithCancel(ctx)
	return &group{ctx: ctx, cancel: cancel, sem: make(chan struct{}, max(limit, 1))}
}

// Go runs f when a slot is free; after the first error the remaining functions are skipped.
func (g *group) Go(f func() error) {
	select {
	case g.sem <- struct{}{}:
	case <-g.ctx.Done():
		return
	}
	g.wg.Add(1)
	go func() {
		defer func() { <-g.sem; g.wg.Done() }()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// Wait waits for every function and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
