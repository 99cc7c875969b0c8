package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/notify"
)

// DefaultNotifyInterval is how often the notifier reads the database for conditions.
const DefaultNotifyInterval = 30 * time.Second

// Notifier sends a notice when an instance becomes auth-blocked, when errors of a class open on
// a connection, and when a connection lags behind the threshold. It only READS the sync tables
// (instances, sync_errors, twins, watermarks) and keeps its own memory in notify_states, so
// a restart neither resends nor forgets the rate window, and several workers never send one
// notice twice (each notice is claimed by a conditional update first).
type Notifier struct {
	DB     *models.DB
	Sealer *models.Sealer
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Client posts webhooks (a 30-second client when nil).
	Client *http.Client
}

// NotifySenders builds the enabled senders of the settings; none when nothing is enabled.
func NotifySenders(ns *models.NotifySettings, sealer *models.Sealer, client *http.Client) ([]notify.Sender, error) {
	var out []notify.Sender
	if ns.MailEnabled {
		pw, err := ns.SMTPPassword(sealer)
		if err != nil {
			return nil, err
		}
		var to []string
		for _, a := range strings.Split(ns.MailTo, ",") {
			if a = strings.TrimSpace(a); a != "" {
				to = append(to, a)
			}
		}
		out = append(out, &notify.Mail{Host: ns.SMTPHost, Port: ns.SMTPPort, TLS: ns.SMTPTLS, Username: ns.SMTPUser,
			Password: pw, From: ns.MailFrom, To: to})
	}
	if ns.WebhookEnabled {
		u, err := ns.WebhookURL(sealer)
		if err != nil {
			return nil, err
		}
		if u != "" {
			out = append(out, &notify.Webhook{URL: u, Client: client})
		}
	}
	return out, nil
}

// RunNotifier checks every interval until ctx ends.
func RunNotifier(ctx context.Context, n *Notifier, every time.Duration) {
	if every <= 0 {
		every = DefaultNotifyInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := n.Check(ctx); err != nil && ctx.Err() == nil {
			n.logger().Warn("notifier check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger == nil {
		return slog.Default()
	}
	return n.Logger
}

func (n *Notifier) now() time.Time {
	if n.Now == nil {
		return time.Now().UTC()
	}
	return n.Now().UTC()
}

// Check reads the conditions once and sends what is due; it returns how many notices went out.
func (n *Notifier) Check(ctx context.Context) (int, error) {
	ns, err := n.DB.LoadNotifySettings(ctx)
	if err != nil {
		return 0, err
	}
	senders, err := NotifySenders(ns, n.Sealer, n.Client)
	if err != nil {
		return 0, err
	}
	if len(senders) == 0 {
		return 0, nil
	}
	now := n.now()
	conds, err := n.conditions(ctx, ns, now)
	if err != nil {
		return 0, err
	}
	window := time.Duration(ns.WindowMinutes) * time.Minute
	if window <= 0 {
		window = models.DefaultNotifyWindowMinutes * time.Minute
	}
	db := n.DB.WithContext(ctx)
	sent := 0
	keys := make([]string, 0, len(conds))
	for k := range conds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		msg := conds[key]
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NotifyState{EventKey: key}).Error; err != nil {
			return sent, fmt.Errorf("notify state %s: %w", key, err)
		}
		var st models.NotifyState
		if err := db.First(&st, "event_key = ?", key).Error; err != nil {
			return sent, fmt.Errorf("notify state %s: %w", key, err)
		}
		if st.Active {
			continue // already told; nothing new
		}
		if st.LastSentAt != nil && now.Sub(*st.LastSentAt) < window {
			// Within the rate window: remember the condition, send nothing.
			if err := db.Model(&models.NotifyState{}).Where("event_key = ? AND active = ?", key, false).Update("active", true).Error; err != nil {
				return sent, fmt.Errorf("notify state %s: %w", key, err)
			}
			continue
		}
		// Claim the notice: only the worker whose update lands sends it.
		claim := db.Model(&models.NotifyState{}).Where("event_key = ? AND active = ?", key, false).
			Updates(map[string]any{"active": true, "last_sent_at": now, "last_error": ""})
		if claim.Error != nil {
			return sent, fmt.Errorf("claim notice %s: %w", key, claim.Error)
		}
		if claim.RowsAffected != 1 {
			continue
		}
		if err := notify.SendAll(ctx, senders, msg); err != nil {
			// Not delivered: give the claim back, so the next check tries again.
			n.logger().Warn("notice not delivered", "key", key, "err", err)
			if uerr := db.Model(&models.NotifyState{}).Where("event_key = ?", key).
				Updates(map[string]any{"active": false, "last_sent_at": st.LastSentAt, "last_error": err.Error()}).Error; uerr != nil {
				return sent, errors.Join(err, uerr)
			}
			continue
		}
		n.logger().Info("notice sent", "key", key, "event", msg.Event)
		sent++
	}
	// Conditions that no longer hold: the next occurrence is news again (within the window's limit).
	q := db.Model(&models.NotifyState{}).Where("active = ?", true)
	if len(keys) > 0 {
		q = q.Where("event_key NOT IN ?", keys)
	}
	if err := q.Update("active", false).Error; err != nil {
		return sent, fmt.Errorf("clear notify states: %w", err)
	}
	return sent, nil
}

// conditions lists what holds now, by event key.
func (n *Notifier) conditions(ctx context.Context, ns *models.NotifySettings, now time.Time) (map[string]notify.Message, error) {
	db := n.DB.WithContext(ctx)
	out := map[string]notify.Message{}
	var insts []models.Instance
	if err := db.Select("id", "name", "base_url", "auth_blocked", "last_error").Where("auth_blocked = ?", true).Find(&insts).Error; err != nil {
		return nil, fmt.Errorf("read blocked instances: %w", err)
	}
	for _, in := range insts {
		key := fmt.Sprintf("auth:instance:%d", in.ID)
		out[key] = notify.Message{Event: "auth-blocked", Key: key, At: now,
			Title: fmt.Sprintf("Jira %s is blocked: its credentials were refused", in.Name),
			Text: fmt.Sprintf("Airlock stopped calling Jira %s (%s) because it refused the stored credentials (401). "+
				"Nothing syncs with it until an administrator fixes the password or token under Instances and tests it.\n\nLast error: %s",
				in.Name, in.BaseURL, firstLine(in.LastError))}
	}
	conns := map[uint]models.Connection{}
	var cs []models.Connection
	if err := db.Select("id", "name", "paused").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("read connections: %w", err)
	}
	for _, c := range cs {
		conns[c.ID] = c
	}
	var groups []struct {
		ConnectionID uint
		Class        string
		N            int64
	}
	if err := db.Model(&models.SyncError{}).Select("connection_id, class, COUNT(*) AS n").
		Where("resolved_at IS NULL AND connection_id IS NOT NULL AND class <> ?", models.ClassRateLimited).
		Group("connection_id, class").Scan(&groups).Error; err != nil {
		return nil, fmt.Errorf("read open errors: %w", err)
	}
	for _, g := range groups {
		name := conns[g.ConnectionID].Name
		key := fmt.Sprintf("errors:connection:%d:%s", g.ConnectionID, g.Class)
		out[key] = notify.Message{Event: "errors-open", Key: key, At: now,
			Title: fmt.Sprintf("%d open %s error(s) on connection %s", g.N, g.Class, name),
			Text: fmt.Sprintf("Connection %s has %d open error(s) of class %s. The Errors page of the console shows each one with "+
				"the Jira request and response, and what to change; retry from there.", name, g.N, g.Class)}
	}
	if ns.LagMinutes <= 0 {
		return out, nil
	}
	threshold := time.Duration(ns.LagMinutes) * time.Minute
	lag := map[uint]time.Duration{}
	var dirtyConns []uint
	if err := db.Model(&models.Twin{}).Where("dirty = ? AND dirty_since IS NOT NULL AND state IN ?", true, []string{models.TwinActive, models.TwinPendingCreate}).
		Distinct("connection_id").Pluck("connection_id", &dirtyConns).Error; err != nil {
		return nil, fmt.Errorf("read dirty twins: %w", err)
	}
	for _, id := range dirtyConns {
		var tw models.Twin
		if err := db.Select("dirty_since").Where("connection_id = ? AND dirty = ? AND dirty_since IS NOT NULL", id, true).
			Order("dirty_since").First(&tw).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("read dirty twins: %w", err)
		}
		if tw.DirtySince != nil {
			lag[id] = now.Sub(*tw.DirtySince)
		}
	}
	var wms []models.Watermark
	if err := db.Where("last_poll_ok IS NOT NULL").Find(&wms).Error; err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	for _, w := range wms {
		if d := now.Sub(*w.LastPollOK); d > lag[w.ConnectionID] {
			lag[w.ConnectionID] = d
		}
	}
	for id, d := range lag {
		c, ok := conns[id]
		if !ok || c.Paused || d < threshold {
			continue
		}
		key := fmt.Sprintf("lag:connection:%d", id)
		out[key] = notify.Message{Event: "lag", Key: key, At: now,
			Title: fmt.Sprintf("Connection %s lags %s behind", c.Name, d.Round(time.Minute)),
			Text: fmt.Sprintf("Connection %s has changes waiting, or a side not polled successfully, for %s (threshold %s). "+
				"Check its instances' health and the Errors page.", c.Name, d.Round(time.Minute), threshold)}
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "(none recorded)"
	}
	return s
}
