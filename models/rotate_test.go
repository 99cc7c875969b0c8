package models_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

func newTestSealer(t *testing.T) *models.Sealer {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	s, err := models.NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRotateSecrets(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		oldKey, newKey := newTestSealer(t), newTestSealer(t)
		secrets := map[string]string{"A": "pw-of-A", "AB": "pat-of-AB", "B": ""}
		for _, name := range []string{"A", "AB", "B"} {
			in := &models.Instance{Name: name, BaseURL: "https://" + name + ".example.com", Role: models.RolePrivate, AuthType: models.AuthBasic, Username: "sync"}
			if secrets[name] != "" {
				if err := in.SetSecret(oldKey, secrets[name]); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Create(in).Error; err != nil {
				t.Fatal(err)
			}
		}
		res, err := db.RotateSecrets(ctx, oldKey, newKey)
		if err != nil || res != (models.RotateResult{Resealed: 2, Empty: 1}) {
			t.Fatalf("rotate: %+v, %v", res, err)
		}
		var insts []models.Instance
		db.Order("id").Find(&insts)
		for _, in := range insts {
			got, err := in.Secret(newKey)
			if err != nil || got != secrets[in.Name] {
				t.Errorf("%s under the new key: %q, %v", in.Name, got, err)
			}
			if len(in.SecretEnc) > 0 {
				if _, err := in.Secret(oldKey); !errors.Is(err, models.ErrSealed) {
					t.Errorf("%s still opens under the old key", in.Name)
				}
			}
		}
		// A second run (say, after a crash between the rotation and the restart) changes nothing.
		res, err = db.RotateSecrets(ctx, oldKey, newKey)
		if err != nil || res != (models.RotateResult{AlreadyNew: 2, Empty: 1}) {
			t.Fatalf("second rotate: %+v, %v", res, err)
		}
	})
}

func TestRotateSecretsAllOrNothing(t *testing.T) {
	db := modelstest.SQLite(t)
	ctx := context.Background()
	oldKey, newKey, stranger := newTestSealer(t), newTestSealer(t), newTestSealer(t)
	for _, c := range []struct {
		name string
		key  *models.Sealer
	}{{"A", oldKey}, {"Z", stranger}} {
		in := &models.Instance{Name: c.name, BaseURL: "https://x.example.com", Role: models.RolePrivate, AuthType: models.AuthPAT}
		if err := in.SetSecret(c.key, "secret-"+c.name); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RotateSecrets(ctx, oldKey, newKey); err == nil {
		t.Fatal("rotation with a secret under an unknown key succeeded")
	}
	var a models.Instance
	db.Where("name = ?", "A").First(&a)
	if got, err := a.Secret(oldKey); err != nil || got != "secret-A" {
		t.Fatalf("A was changed by a failed rotation: %q, %v", got, err)
	}
	if _, err := db.RotateSecrets(ctx, nil, newKey); err == nil {
		t.Fatal("rotation without the old key succeeded")
	}
}

// TestRotateNotifySecrets: the notification secrets are re-sealed with the instance secrets.
func TestRotateNotifySecrets(t *testing.T) {
	db := modelstest.SQLite(t)
	oldKey, _ := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	newKey, _ := models.NewSealer([]byte("fedcba9876543210fedcba9876543210"))
	ns := &models.NotifySettings{ID: 1, SMTPPort: 587, SMTPTLS: "starttls"}
	if err := ns.SetSMTPPassword(oldKey, "smtp-pw"); err != nil {
		t.Fatal(err)
	}
	if err := ns.SetWebhookURL(oldKey, "https://hooks.example.com/x"); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(ns).Error; err != nil {
		t.Fatal(err)
	}
	res, err := db.RotateSecrets(context.Background(), oldKey, newKey)
	if err != nil || res.Resealed != 2 {
		t.Fatalf("rotate: %+v %v", res, err)
	}
	got, _ := db.LoadNotifySettings(context.Background())
	if pw, err := got.SMTPPassword(newKey); err != nil || pw != "smtp-pw" {
		t.Errorf("smtp password after rotation: %q %v", pw, err)
	}
	if u, err := got.WebhookURL(newKey); err != nil || u != "https://hooks.example.com/x" {
		t.Errorf("webhook after rotation: %q %v", u, err)
	}
}
