// Package demo runs `airlock dev --demo`: three emulated Jira instances A, AB (the relay) and B
// in process, the Instance rows and the connections of a single-node relay A <-> AB <-> B (see Routes),
// and optional demo traffic, so that a newcomer sees issues travel without configuring anything.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// Names are the emulated instances, in topology order.
var Names = []string{"A", "AB", "B"}

// Route is one path of the demo: a connection between a project on A or B and the project it
// meets on the relay AB.
type Route struct {
	Name         string // the connection is ConnectionPrefix + Name
	Local        string // A or B
	LocalProject string
	RelayProject string
}

// Relay and B projects of the service desk path (the rest is jirasim's default seed).
const (
	HelpRelayProject = "HELPRELAY"
	SupportProject   = "SUPPORT"
)

// Routes are the demo's connections. ALPHA on A and BETA on B meet in RELAY. A's service project
// HELP escalates to the vendor project SUPPORT on B through its own relay project HELPRELAY: its
// own scope on the relay, so the two paths never claim each other's issues (overlapping scopes
// are refused), and B routes escalations to another team than BETA's. The relay and B need no
// service desk: only A's side has JSM, and internal notes stay on A (the default comment rules).
var Routes = []Route{
	{"A-AB", "A", jirasim.DefaultProjectKey("A"), jirasim.DefaultProjectKey("AB")},
	{"B-AB", "B", jirasim.DefaultProjectKey("B"), jirasim.DefaultProjectKey("AB")},
	{"A-AB " + jirasim.ServiceProjectKey, "A", jirasim.ServiceProjectKey, HelpRelayProject},
	{"B-AB " + SupportProject, "B", SupportProject, HelpRelayProject},
}

// Seed is the demo's content of an emulated Jira: jirasim's default seed (A has ALPHA and the
// service project HELP) plus HELPRELAY on AB and SUPPORT on B.
func Seed(name string) *jirasim.Seed {
	s := jirasim.DefaultSeed(name)
	add := func(key, title string) {
		s.Projects = append(s.Projects, jirasim.SeedProject{ID: "10001", Key: key, Name: title, Lead: "admin", Admins: []string{"airlock"},
			Components: []string{"Backend", "Frontend", "Docs"}, Versions: []string{"1.0", "1.1", "2.0"}})
	}
	switch name {
	case "AB":
		add(HelpRelayProject, "Help Desk Relay")
	case "B":
		add(SupportProject, "Vendor Support")
	}
	return s
}

// DefaultPorts are the ports the demo Jiras take when they are free, so the admin can open them
// at addresses that do not change between runs.
var DefaultPorts = map[string]int{"A": 8081, "AB": 8082, "B": 8083}

// ContextPath is the demo Jiras' context path, as on a typical Jira Server.
const ContextPath = "/jira"

// InstancePrefix and ConnectionPrefix name the rows the demo owns; it finds them by these names
// on a restart.
const (
	InstancePrefix   = "demo-"
	ConnectionPrefix = "demo "
)

// Options configures the demo.
type Options struct {
	// RandomPorts puts every demo Jira on a random port (tests); otherwise DefaultPorts are
	// tried first and a random port is taken only when one is busy.
	RandomPorts bool
	// Addrs are listen addresses (host:port) by instance name (A, AB, B), from JIRASIM_A_ADDR,
	// JIRASIM_AB_ADDR and JIRASIM_B_ADDR; a name listed here takes exactly that address.
	Addrs map[string]string
	// PollInterval is the connections' poll period (default 2 s).
	PollInterval time.Duration
	// Traffic turns on demo traffic: an issue created on A every TrafficEvery (default 20 s) and
	// edits and comments now and then, as alice.
	Traffic      bool
	TrafficEvery time.Duration
	// Sealed seals every demo connection through the relay AB (issue 15) with this node's own
	// public key as the partner: one node runs both ends of each path, so it is its own partner.
	Sealed bool
	Logger *slog.Logger
}

// Demo is the running demo: its Jiras and the ids of its rows.
type Demo struct {
	// URLs are the base URLs (with context path) of A, AB and B.
	URLs map[string]string
	// Instances and Connections are the ids of the demo's rows, by instance name and by
	// connection name ("demo A-AB", "demo B-AB", "demo A-AB HELP", "demo B-AB SUPPORT").
	Instances   map[string]uint
	Connections map[string]uint

	log     *slog.Logger
	sims    map[string]*jirasim.Instance
	servers []*http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Setup starts the emulated Jiras and creates or updates the demo's instances and connections.
// The emulator starts empty on every run, so the ledger of the demo connections (twins,
// watermarks, their errors and history) is reset: it described issues that no longer exist.
func Setup(ctx context.Context, db *models.DB, sealer *models.Sealer, opts Options) (*Demo, error) {
	if db == nil || sealer == nil {
		return nil, errors.New("demo: a database and a secret key are required")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	if opts.TrafficEvery <= 0 {
		opts.TrafficEvery = 20 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Demo{URLs: map[string]string{}, Instances: map[string]uint{}, Connections: map[string]uint{}, log: log,
		sims: map[string]*jirasim.Instance{}}
	if err := d.startJiras(opts.RandomPorts, opts.Addrs); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.store(ctx, db, sealer, opts.PollInterval); err != nil {
		d.Close()
		return nil, err
	}
	if opts.Sealed {
		if err := d.seal(ctx, db); err != nil {
			d.Close()
			return nil, err
		}
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	if opts.Traffic {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.traffic(tctx, opts.TrafficEvery)
		}()
	}
	log.Info("demo: three emulated Jiras are running (users admin/admin, alice/alice, bob/bob; airlock/airlock syncs)",
		"A", d.URLs["A"], "AB", d.URLs["AB"], "B", d.URLs["B"])
	log.Info("demo: create an issue in project ALPHA on A (or BETA on B): it appears on the relay AB and then on the other side within seconds; comments, edits and status changes travel both ways; requests of the service project HELP on A travel to SUPPORT on B through HELPRELAY, and their internal comments stay on A",
		"create_on_A", d.URLs["A"]+"/rest/api/2/issue", "console", "Connections and Twins pages show both hops", "traffic", opts.Traffic)
	return d, nil
}

// AddrVar is the environment variable that sets the listen address of a demo Jira.
func AddrVar(name string) string { return "JIRASIM_" + name + "_ADDR" }

// startJiras listens on the addresses asked for, else on the fixed demo ports when free (random
// ones otherwise), and serves A, AB and B there.
func (d *Demo) startJiras(random bool, addrs map[string]string) error {
	for _, name := range Names {
		var ln net.Listener
		var err error
		if addr := addrs[name]; addr != "" {
			if ln, err = net.Listen("tcp", addr); err != nil {
				return fmt.Errorf("demo: %s=%s: Jira %s cannot listen there: %w", AddrVar(name), addr, name, err)
			}
		} else if !random {
			ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", DefaultPorts[name]))
			if err != nil {
				d.log.Warn("demo: port busy, using a random one", "instance", name, "port", DefaultPorts[name], "err", err)
			}
		}
		if ln == nil {
			if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				return fmt.Errorf("demo: listen for Jira %s: %w", name, err)
			}
		}
		inst, err := jirasim.NewInstance(jirasim.Options{Name: name, ContextPath: ContextPath, BaseURL: "http://" + ln.Addr().String(), Seed: Seed(name)})
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo: Jira %s: %w", name, err)
		}
		srv := &http.Server{Handler: inst.Handler(), ReadHeaderTimeout: 10 * time.Second}
		d.servers = append(d.servers, srv)
		d.sims[name], d.URLs[name] = inst, inst.URL()
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("demo: Jira stopped", "instance", name, "err", err)
			}
		}()
	}
	return nil
}

// Sim returns the emulated instance of a name (A, AB or B), for tests and tools.
func (d *Demo) Sim(name string) *jirasim.Instance { return d.sims[name] }

// Close stops the traffic and the Jiras.
func (d *Demo) Close() {
	if d.cancel != nil {
		d.cancel()
	}
	for _, s := range d.servers {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.Shutdown(sctx); err != nil {
			_ = s.Close()
		}
		cancel()
	}
	d.wg.Wait()
}

// Rules is the demo's mapping: the common fields both ways, status through an explicit value map
// (the place to edit when the workflows differ), comments and attachments on.
func Rules() engine.Rules {
	r := engine.DefaultRules()
	for i := range r.Fields {
		if r.Fields[i].Kind == engine.KindStatus {
			r.Fields[i].Values = map[string]string{"To Do": "To Do", "In Progress": "In Progress", "Done": "Done"}
		}
	}
	r.Attachments.MaxBytes = 5 << 20
	return r
}

// store creates or updates the demo rows by name and resets the demo connections' ledger.
func (d *Demo) store(ctx context.Context, db *models.DB, sealer *models.Sealer, poll time.Duration) error {
	rules, err := json.Marshal(Rules())
	if err != nil {
		return fmt.Errorf("demo: rules: %w", err)
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, name := range Names {
			role := models.RolePrivate
			if name == "AB" {
				role = models.RoleRelay
			}
			var in models.Instance
			if err := tx.Where("name = ?", InstancePrefix+name).Limit(1).Find(&in).Error; err != nil {
				return fmt.Errorf("demo: find instance %s: %w", name, err)
			}
			in.Name, in.BaseURL, in.Role, in.AuthType, in.Username = InstancePrefix+name, d.URLs[name], role, models.AuthBasic, "airlock"
			// The emulator is new: forget what was learnt of the old one.
			in.TimeZone, in.AuthBlocked, in.ConsecutiveErrors, in.LastError = "", false, 0, ""
			if err := in.SetSecret(sealer, "airlock"); err != nil {
				return fmt.Errorf("demo: seal credentials: %w", err)
			}
			if err := tx.Save(&in).Error; err != nil {
				return fmt.Errorf("demo: save instance %s: %w", name, err)
			}
			d.Instances[name] = in.ID
		}
		for _, rt := range Routes {
			name := ConnectionPrefix + rt.Name
			var c models.Connection
			if err := tx.Where("name = ?", name).Limit(1).Find(&c).Error; err != nil {
				return fmt.Errorf("demo: find connection %s: %w", name, err)
			}
			c.Name, c.LocalInstanceID, c.RemoteInstanceID = name, d.Instances[rt.Local], d.Instances["AB"]
			c.LocalProject, c.RemoteProject = rt.LocalProject, rt.RelayProject
			c.PollIntervalMS, c.Rules = int(poll/time.Millisecond), string(rules)
			c.ConflictPolicy, c.DeletionPolicy, c.Paused = models.PolicyNewestWins, models.DeleteIgnore, false
			// Plaintext unless --sealed seals it again below (the ledger is reset, so no twin
			// mixes the two modes).
			c.Sealed, c.SealKeyring = false, ""
			if err := tx.Save(&c).Error; err != nil {
				return fmt.Errorf("demo: save connection %s: %w", name, err)
			}
			if err := resetLedger(tx, c.ID); err != nil {
				return fmt.Errorf("demo: reset connection %s: %w", name, err)
			}
			d.Connections[name] = c.ID
		}
		return nil
	})
}

// seal seals the demo connections whose remote is the relay AB, trusting this node's own public
// key: the node writes and reads both ends of each path through AB.
func (d *Demo) seal(ctx context.Context, db *models.DB) error {
	cur, err := db.CurrentIdentity(ctx)
	if err != nil {
		return fmt.Errorf("demo --sealed: %w", err)
	}
	if cur == nil {
		return errors.New("demo --sealed: this node has no sealing identity (it is made at start when AIRLOCK_SECRET_KEY is set)")
	}
	own, err := seal.ParsePublic(cur.Public)
	if err != nil {
		return fmt.Errorf("demo --sealed: this node's public key: %w", err)
	}
	if p := engine.SealedRulesProblem(ptr(Rules())); p != "" {
		return fmt.Errorf("demo --sealed: the demo rules: %s", p)
	}
	for _, rt := range Routes {
		name := ConnectionPrefix + rt.Name
		if err := engine.SealConnection(ctx, db, d.Connections[name], own); err != nil {
			return fmt.Errorf("demo --sealed: seal connection %s: %w", name, err)
		}
	}
	d.log.Info("demo: the connections through AB are sealed: AB holds only envelopes this node can open", "fingerprint", own.Fingerprint())
	return nil
}

func ptr[T any](v T) *T { return &v }

// resetLedger removes what a connection knew of issues: twins with their comment, attachment and link
// twins, conflicts, history, errors and the poll watermarks.
func resetLedger(tx *gorm.DB, connID uint) error {
	twins := func() *gorm.DB {
		return tx.Session(&gorm.Session{NewDB: true}).Model(&models.Twin{}).Select("id").Where("connection_id = ?", connID)
	}
	for _, m := range []any{&models.CommentTwin{}, &models.AttachmentTwin{}, &models.WorklogTwin{}, &models.Conflict{}} {
		if err := tx.Where("twin_id IN (?)", twins()).Delete(m).Error; err != nil {
			return err
		}
	}
	if err := tx.Where("twin_id IN (?) OR connection_id = ?", twins(), connID).Delete(&models.SyncError{}).Error; err != nil {
		return err
	}
	for _, m := range []any{&models.Event{}, &models.LinkTwin{}, &models.Twin{}, &models.Watermark{}} {
		if err := tx.Where("connection_id = ?", connID).Delete(m).Error; err != nil {
			return err
		}
	}
	return nil
}

// traffic acts as alice on A: a new issue every `every` (every other one a request in the
// service project HELP), and between them an edit, a comment (on a request: public or internal,
// through the service desk API) or a status change on one of the issues made so far.
func (d *Demo) traffic(ctx context.Context, every time.Duration) {
	c, err := jira.New(jira.Config{BaseURL: d.URLs["A"], Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: "demo-traffic"})
	if err != nil {
		d.log.Warn("demo traffic: no client", "err", err)
		return
	}
	var keys []string
	words := []string{"Login page", "Export", "Nightly build", "Search", "Billing", "Dashboard", "Upload", "Mobile app"}
	troubles := []string{"is slow", "fails on Safari", "shows the wrong date", "times out", "needs a new icon", "crashes on start"}
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every / 2):
		}
		if len(keys) > 0 {
			key := keys[rand.IntN(len(keys))]
			var err error
			switch rand.IntN(3) {
			case 0:
				if strings.HasPrefix(key, jirasim.ServiceProjectKey+"-") {
					public := rand.IntN(2) == 0
					body := fmt.Sprintf("Internal note %d: checking the logs before we answer.", n)
					if public {
						body = fmt.Sprintf("We are on it (update %d).", n)
					}
					_, err = c.AddRequestComment(ctx, key, body, public)
					break
				}
				_, err = c.AddComment(ctx, key, jira.CommentInput{Body: fmt.Sprintf("Looked into this again (note %d).", n)})
			case 1:
				err = c.UpdateIssue(ctx, key, jira.IssueInput{Fields: map[string]any{
					"priority": map[string]string{"name": []string{"High", "Medium", "Low"}[rand.IntN(3)]}}}, jira.UpdateOptions{})
			default:
				var ts []jira.Transition
				if ts, err = c.Transitions(ctx, key, false); err == nil && len(ts) > 0 {
					err = c.DoTransition(ctx, key, jira.TransitionInput{ID: ts[rand.IntN(len(ts))].ID})
				}
			}
			if err != nil && ctx.Err() == nil {
				d.log.Warn("demo traffic: change failed", "issue", key, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		summary := fmt.Sprintf("%s %s", words[rand.IntN(len(words))], troubles[rand.IntN(len(troubles))])
		project := jirasim.DefaultProjectKey("A")
		if n%2 == 0 {
			project = jirasim.ServiceProjectKey
		}
		ci, err := c.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": project},
			"issuetype": map[string]string{"name": "Task"}, "summary": summary, "description": "Created by the demo traffic."}})
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("demo traffic: create failed", "err", err)
			}
			continue
		}
		keys = append(keys, ci.Key)
		d.log.Info("demo traffic: created an issue on A", "key", ci.Key, "summary", summary)
	}
}
